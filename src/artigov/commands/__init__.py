"""The commands layer: one Typer-free function per command, under every door.

``artigov.commands.<name>.run_*`` takes plain arguments (a workspace root, a
format, the command's options), runs the package functions through
:func:`artigov.commands.runner.execute` (workspace, audit sink, one-line
errors) and renders text, JSON or SARIF. The Typer command line
(:mod:`artigov.cli`), the invoke tasks (:mod:`artigov.tasks`), the fast door
(:mod:`artigov.cli.quick`), the demo and the rehearsals all call these; none
of them imports Typer, so `invoke promote` never loads it.
"""
