"""Whole-model I/O, above the models: what a `weights` argument names
(resolver), the metadata a saved model carries, the Hugging Face Hub, timm's
`config.json`."""
