"""Layer base, Model (functional and subclassed), Sequential, summary."""
from layered.models.layer import Layer as Layer
from layered.models.model import Model as Model
from layered.models.sequential import Sequential as Sequential
