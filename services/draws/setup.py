"""Builds the optional C extension draws._native (tickets and Merkle leaves).

``optional=True``: without a compiler the package still installs and the draws service falls
back to hashlib + numpy (slower, same results)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "draws._native",
            sources=["csrc/tickets.c"],
            extra_compile_args=["-O3", "-std=c11", "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
