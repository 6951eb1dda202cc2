"""Subcommands of the ``risk`` command line, one module per group of pipeline stages.

Each module has ``register(add)``, where ``add(name, help, examples)`` returns a new
subparser; each command function takes the parsed arguments and returns an exit code.
"""
