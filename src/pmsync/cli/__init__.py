"""The command line: thin Typer commands that parse, call storage and core, and render."""
