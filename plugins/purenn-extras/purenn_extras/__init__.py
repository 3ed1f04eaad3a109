"""purenn-extras: parts for purenn from every entry-point group.

    purenn.layers        leaky_relu (alpha=0.01), elu (alpha=1.0), gelu
    purenn.losses        huber (delta=1.0)
    purenn.optimizers    lion (lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0)
    purenn.initializers  lecun_uniform
"""

__version__ = "0.1.0"
