"""Structured channel pruning that removes channels, residual connections
included, and the architecture description a pruned network is rebuilt from.

The dependency graph of ``torch-pruning`` (DepGraph, Fang et al., CVPR 2023)
groups every layer whose channels must go together: a convolution's output
channels, the batch norm after it, the input channels of the layers that read
it and, through a residual addition, the other branch and the shortcut. One
such group is one *channel group* here, named after the convolution that
roots it. :func:`prune_group` removes the ``n`` channels of a group with the
smallest L1 norm summed over the whole group (the ranking of NetAdapt and of
Li et al., ICLR 2017) and shrinks every layer of the group physically.

:func:`describe` writes the architecture of a (pruned) network as plain data
-- the ResNet configuration and the shape of every convolution, batch norm
and linear layer -- and :func:`rebuild` makes an untrained network of that
architecture, into which the saved ``state_dict`` loads.

References
----------
G. Fang, X. Ma, M. Song, M. B. Mi, X. Wang, "DepGraph: Towards Any Structural
Pruning", CVPR 2023, arXiv:2301.12900 (the ``torch-pruning`` package).

H. Li, A. Kadav, I. Durdanovic, H. Samet, H. P. Graf, "Pruning Filters for
Efficient ConvNets", ICLR 2017, arXiv:1608.08710.
"""
from __future__ import annotations

import torch
from torch import nn

from ..._validation import check_int
from ..models import ResNet

__all__ = ["channel_groups", "group_channels", "prune_group", "describe", "rebuild",
           "switch_input"]


def _graph(net, example_shape):
    import torch_pruning as tp

    x = torch.zeros((1,) + tuple(example_shape))
    mode = net.training
    net.eval()  # tracing runs a forward pass: leave the batch-norm statistics alone
    try:
        return tp.DependencyGraph().build_dependency(net, example_inputs=x)
    finally:
        net.train(mode)


def _ignored(net):
    return [m for m in net.modules() if isinstance(m, nn.Linear)]  # the classes stay


def channel_groups(net, example_shape):
    """The channel groups of ``net``: ``{root convolution name: [member layer names]}``.

    Parameters
    ----------
    net : nn.Module
        A plain (float) network; its linear layers' outputs are not pruned.
    example_shape : (C, H, W) tuple of int
        An input shape the network accepts (for tracing).
    """
    names = {m: n for n, m in net.named_modules()}
    dg = _graph(net, example_shape)
    out = {}
    for g in dg.get_all_groups(ignored_layers=_ignored(net), root_module_types=[nn.Conv2d]):
        root = names[g[0].dep.target.module]
        members = {names.get(it.dep.target.module) for it in g}
        out[root] = sorted(m for m in members if m is not None)
    return dict(sorted(out.items()))


def group_channels(net, group):
    """Channels of the group rooted at convolution ``group``."""
    return int(net.get_submodule(group).out_channels)


def prune_group(net, group, n, example_shape):
    """Remove the ``n`` channels of a group with the smallest L1 norm, in place.

    Parameters
    ----------
    net : nn.Module
    group : str
        Name of the group's root convolution (a key of :func:`channel_groups`).
    n : int
        Channels to remove (0 leaves the network unchanged); at least one must stay.
    example_shape : (C, H, W) tuple of int

    Returns
    -------
    list of int
        The indices removed (in the root convolution's numbering), ascending.
    """
    import torch_pruning as tp

    conv = net.get_submodule(group)
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"group {group!r} is not a convolution of the network")
    n = check_int(n, "n", low=0, high=conv.out_channels - 1)
    if n == 0:
        return []
    dg = _graph(net, example_shape)
    everything = dg.get_pruning_group(conv, tp.prune_conv_out_channels,
                                      idxs=list(range(conv.out_channels)))
    imp = tp.importance.GroupMagnitudeImportance(p=1)(everything)
    # stable: equal norms go in index order, so the choice is reproducible
    order = torch.argsort(imp.detach().double(), stable=True)
    idxs = sorted(int(i) for i in order[:n])
    dg.get_pruning_group(conv, tp.prune_conv_out_channels, idxs=idxs).prune()
    return idxs


def describe(net):
    """The architecture of a ResNet as plain data (JSON-ready).

    Returns
    -------
    dict
        ``config`` (the :class:`~analogfe.learn.models.ResNet` keywords) and
        ``shapes``: ``{name: [in, out]}`` of every convolution and linear
        layer, ``{name: [features]}`` of every batch norm.
    """
    shapes = {}
    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d):
            shapes[name] = [m.in_channels, m.out_channels]
        elif isinstance(m, nn.Linear):
            shapes[name] = [m.in_features, m.out_features]
        elif isinstance(m, nn.BatchNorm2d):
            shapes[name] = [m.num_features]
    return {"config": dict(net.config), "shapes": shapes}


def _set(net, name, module):
    parent, _, leaf = name.rpartition(".")
    setattr(net.get_submodule(parent) if parent else net, leaf, module)


def _resized(m, shape):
    if isinstance(m, nn.Conv2d):
        return nn.Conv2d(shape[0], shape[1], m.kernel_size, stride=m.stride, padding=m.padding,
                         bias=m.bias is not None)
    if isinstance(m, nn.Linear):
        return nn.Linear(shape[0], shape[1], bias=m.bias is not None)
    return nn.BatchNorm2d(shape[0])


def rebuild(arch):
    """An untrained ResNet of the architecture :func:`describe` wrote.

    Raises
    ------
    ValueError
        ``arch`` names a layer the ResNet of its ``config`` does not have.
    """
    net = ResNet(**arch["config"])
    modules = dict(net.named_modules())
    for name, shape in arch["shapes"].items():
        if name not in modules or not isinstance(modules[name], (nn.Conv2d, nn.Linear,
                                                                 nn.BatchNorm2d)):
            raise ValueError(f"architecture names a layer {name!r} that a ResNet with "
                             f"{arch['config']} does not have")
        _set(net, name, _resized(modules[name], shape))
    return net


def switch_input(net, in_channels, seed=0):
    """The same network for an input of ``in_channels`` channels: the stem
    convolution is replaced (new weights, drawn with ``seed``), everything
    else is kept. Returns ``net``, changed in place."""
    in_channels = check_int(in_channels, "in_channels", low=1)
    name = next(n for n, m in net.named_modules() if isinstance(m, nn.Conv2d))
    old = net.get_submodule(name)
    gen = torch.Generator().manual_seed(int(seed))
    new = nn.Conv2d(in_channels, old.out_channels, old.kernel_size, stride=old.stride,
                    padding=old.padding, bias=old.bias is not None)
    with torch.no_grad():
        fan_out = old.out_channels * old.kernel_size[0] * old.kernel_size[1]
        new.weight.copy_(torch.randn(new.weight.shape, generator=gen) * (2.0 / fan_out) ** 0.5)
    _set(net, name, new)
    net.in_channels = in_channels
    net.config = dict(net.config, in_channels=in_channels)
    return net
