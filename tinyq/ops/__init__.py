"""One module per TFLite operator; see registry.py for the interface."""
