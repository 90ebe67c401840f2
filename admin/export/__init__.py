"""Export: the weekly export into the case register and its column layout."""
