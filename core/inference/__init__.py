"""Using a trained model: prediction, Grad-CAM heatmaps and overlays."""
