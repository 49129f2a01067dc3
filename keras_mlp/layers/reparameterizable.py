import keras


class Reparameterizable(keras.layers.Layer):
    """Base of layers with a training form and an equivalent deploy form.

    The training form has extra branches (convs, BatchNorms) that help
    optimisation; `fused_weights()` folds them into the weights of the
    deploy form, which computes the same function in inference mode with
    fewer operations. Subclasses take `deploy` in `__init__`, build the form
    it names in `build()`, and implement `fused_weights()`.

    Use `keras_mlp.reparameterize(model)` to get a deploy copy of a whole
    model; `reparameterize()` converts one layer in place.
    """

    def __init__(self, deploy=False, **kwargs):
        super().__init__(**kwargs)
        self.deploy = bool(deploy)

    def fused_weights(self):
        """Deploy-form weights, in the order of a deploy-form layer's `weights`."""
        raise NotImplementedError

    def reparameterize(self):
        """Converts this layer to its deploy form in place; a no-op if it is already.

        Only a frozen layer (`trainable = False`) is converted: a trainable
        layer may be part of a model being trained, whose optimizer and
        compiled train step hold the variables this removes. Freeze it
        first, or use `keras_mlp.reparameterize(model)`, which leaves the
        training model untouched.
        """
        if self.deploy:
            return
        if not self.built:
            raise ValueError(
                f"Layer {self.name!r} is not built; call it on an input before "
                "reparameterizing it."
            )
        if self.trainable:
            raise RuntimeError(
                f"Layer {self.name!r} is trainable, so it may belong to a model "
                "being trained; reparameterizing it in place would remove "
                "variables the optimizer is updating. Set `trainable = False` "
                "first, or use `keras_mlp.reparameterize(model)` to get a "
                "deploy copy of the whole model."
            )
        weights = self.fused_weights()
        # Keras has no public API to swap the state of a built layer; this
        # untracks it and rebuilds, unlocking the tracker as `Layer.quantize`
        # does.
        for layer in list(self._layers):
            self._tracker.untrack(layer)
        for variable in list(self._trainable_variables + self._non_trainable_variables):
            self._untrack_variable(variable)
        self.deploy = True
        self.built = False
        self._tracker.unlock()
        self.build(**self._build_shapes_dict)
        self.set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config["deploy"] = self.deploy
        return config
