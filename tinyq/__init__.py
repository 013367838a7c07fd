"""tinyq: TensorFlow/Keras models to measured microcontroller deployments."""
__version__ = "0.1.0"
