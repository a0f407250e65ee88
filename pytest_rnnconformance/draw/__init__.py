"""Drawing checks: `RNNInputs` made from a reproducible recipe, the public hypothesis strategies,
and each row's cases around the implementation's base configuration."""
