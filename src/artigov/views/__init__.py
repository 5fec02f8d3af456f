"""Where a workspace stands, read and never written: ``artigov status``
(:mod:`artigov.views.status`, which keeps its gate checks per index version:
:mod:`artigov.views.statuskept`), the auditor's HTML page ``artigov report``
(:mod:`artigov.views.report`), and ``artigov route check`` answered from the index
(:mod:`artigov.views.routecheck`, which keeps its placement per index version). What they keep
is in the state folder, never in the record.

These modules live in the ``artigov`` distribution, not in a package of their own: they read
every package (index, router, contract, promote), and only the command line and the tasks call them.
"""
