"""The command line: thin typer commands over the library. The only package that prints."""
