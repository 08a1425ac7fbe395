"""The shared base: the normalized row, errors, GPU vocabulary, settings, outbound HTTP.

Nothing here imports another spotarb package.
"""
