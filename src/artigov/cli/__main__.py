"""``python -m artigov.cli``: the same as the ``artigov`` command."""

from artigov.cli.quick import main

main()
