"""File formats purenn reads and writes with the standard library: safetensors, .npy/.npz."""
