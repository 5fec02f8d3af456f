"""Bringing a repository under artigov: ``artigov init`` (:mod:`artigov.onboard.scaffold`: a new
workspace, or a framework added to one) and ``artigov adopt`` (:mod:`artigov.onboard.adopt`:
existing documents given their metadata, with :mod:`~artigov.onboard.adopt_rules` deciding each
field and :mod:`~artigov.onboard.adopt_routes` the routing map's entries).

These modules live in the ``artigov`` distribution, not in a package of their own: they use every
package (index, router, schema, promote), and only the command line and the tasks call them.
"""
