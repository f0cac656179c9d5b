"""Feature annotation of Record, Run and Artifact: dtypes, validation, storage, queries.

``tables`` says where values live, ``dtypes`` parses lamindb's dtype strings, ``values``
validates, ``store`` writes, ``reading`` reads, ``lookups`` turns feature names into query
conditions, ``describe`` prints, ``accessor`` is ``obj.features``. The Repository methods
(``add_feature_values``, ...) are thin delegations to these modules. See docs/features.md.
"""
