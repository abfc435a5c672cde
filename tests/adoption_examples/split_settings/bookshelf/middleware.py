class ShelfHeaderMiddleware:
    """Says which site answered, for the shelf's own monitoring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Bookshelf"] = "yes"
        return response
