"""Curation: search, lookup, validate, inspect, standardize, from_values, synonyms.

Every function here takes the repository first and works set-based: on the unique input
values, with one statement per chunk of values (or one scan of the registry), never a query
per value and never a whole table in memory. ``Repository`` imports these modules lazily, so
``import lamin_registry`` loads neither pandas nor numpy nor rapidfuzz.
"""
