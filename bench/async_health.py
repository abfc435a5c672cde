"""The template's health-check middleware, made able to run async as well as sync.

The benchmark's ServeStatic variant installs it next to the project's health.py and lists it in
place of the template's: under ASGI a sync-only middleware in front makes Django run the whole
chain in a worker thread, which is what an async static-file middleware is meant to avoid.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async

from .health import plain_text, readiness


class AsyncCapableHealthCheckMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if request.path == "/healthz":
            return plain_text("ok")
        if request.path == "/readyz":
            return readiness()
        return self.get_response(request)

    async def __acall__(self, request):
        if request.path == "/healthz":
            return plain_text("ok")
        if request.path == "/readyz":
            return await sync_to_async(readiness)()
        return await self.get_response(request)
