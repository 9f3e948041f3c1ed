"""``python -m avatar_server``: start the server (same as ``avatars serve``)."""

from avatar_server.processes.serve import main

main()
