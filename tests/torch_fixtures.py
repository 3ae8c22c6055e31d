"""Fixtures shared by the torch tests (imported by the test modules)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread: the tests share two cores with other processes."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
