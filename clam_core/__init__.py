"""clam_core: continuous latent action models and their training, ROS-free and importable anywhere."""
