"""The YAML format of a run, shared by the client (``avatars.yaml_config``) and the server.

It depends on the standard library and PyYAML only, so the server can parse and validate what
clients send without importing the client.
"""
