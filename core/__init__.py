"""The base layer: what every app may use and that depends on no app of ours (errors, SQL helpers, the API
kit). It sits at the bottom of the import-linter layers."""
