"""Baselines SHARP is compared against that are not machine presets (see docs/baselines.md).

The E-PUR-like and BrainWave-like baselines are hardware presets (`hw.families`) that run
through the same compiler and simulator; the GPU baseline is the analytic model in
`gpu_model`.
"""
