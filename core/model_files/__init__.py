"""Reading and writing model files: loading them safely, their class names."""
