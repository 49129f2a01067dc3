"""`tf.distribute.MultiWorkerMirroredStrategy` as Keras 3's `model.fit` needs it.

Keras 3.15's TensorFlow trainer calls `strategy.reduce` in two ways that
`MultiWorkerMirroredStrategy` rejects once there are several workers
(keras-team/keras#20585, tensorflow/tensorflow#72388):

- before the first step it reduces a whole `(x, y)` batch, a nest, which
  `Strategy.reduce` does not take (single-worker strategies happen to);
- after each step it reduces every scalar metric with `axis=0`.

`MultiWorkerStrategy` reduces nests leaf by leaf and scalars across replicas
only; everything else (collectives, sharding, variables) is TensorFlow's own.
"""

import tensorflow as tf


class MultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`MultiWorkerMirroredStrategy` whose `reduce` takes what `fit` passes.

    The cluster comes from `TF_CONFIG`, as for the parent class. Build it
    before TensorFlow runs any op.
    """

    def reduce(self, reduce_op, value, axis):
        def reduce_leaf(leaf):
            leaf_axis = axis
            # A scalar has no batch axis to reduce; its replicas still average.
            if axis is not None and self.experimental_local_results(leaf)[0].shape.rank == 0:
                leaf_axis = None
            return super(MultiWorkerStrategy, self).reduce(reduce_op, leaf, leaf_axis)

        return tf.nest.map_structure(reduce_leaf, value)


def is_chief():
    """Whether this process is the cluster's chief in `TF_CONFIG`.

    The chief is the `chief` task, or worker 0 of a cluster without one; a
    process without `TF_CONFIG` is its own chief.
    """
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    if not resolver.task_type or resolver.task_type == "chief":
        return True
    jobs = resolver.cluster_spec().jobs
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in jobs


def task_name():
    """This process's task in `TF_CONFIG`, e.g. `"worker_1"`."""
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    return f"{resolver.task_type}_{resolver.task_id}"
