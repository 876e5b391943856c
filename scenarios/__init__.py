"""The scenarios shipped with omnicanal: package data of ``simulation.scenario.shipped``.

pyproject.toml maps this folder onto that package, so an installed wheel (and an editable
install) reads these files with :mod:`importlib.resources`; see :mod:`simulation.scenario.library`.
"""
