"""The server's processes: starting, supervising and stopping them."""
