"""The ``artigov`` command line (Typer): thin doors over the packages' functions."""
