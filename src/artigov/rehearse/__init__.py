"""Rehearsals through the real command line: crash (index) and, with promotion, rollback playbooks.

They live in the ``artigov`` distribution, not in a package, because they
drive the ``artigov`` command line in subprocesses.
"""
