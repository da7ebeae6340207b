"""Who is calling the API and what they may do with each container.

Offers Caller (the job behind a token, or the `serve` user) with level()
and require(), and the permission levels VIEW < UPLOAD < CONTRIBUTE <
ADMINISTER.

A job has CONTRIBUTE on its tree's workspace container and, on its project
context, the level its applet's dxapp.json asks for in access.project
(default VIEW, as the platform gives applets). The `serve` user has
ADMINISTER on every project and no access to job workspaces.
"""

from errors import ApiError

LEVELS = {"VIEW": 1, "UPLOAD": 2, "CONTRIBUTE": 3, "ADMINISTER": 4}


class Caller:
    """The identity of one API request."""

    def __init__(self, job=None, levels=None, all_projects=None):
        self.job = job
        self.levels = levels or {}
        self.all_projects = all_projects

    @classmethod
    def for_job(cls, job, applet):
        """A running job: workspace CONTRIBUTE, project per access.project."""
        wanted = (applet.get("dxapp", {}).get("access") or {}).get("project", "VIEW")
        level = LEVELS.get(wanted, LEVELS["VIEW"])
        return cls(job, {job["workspace"]: LEVELS["CONTRIBUTE"], job["project"]: level})

    @classmethod
    def user(cls):
        """The user of `serve`: ADMINISTER on every project."""
        return cls(None, {}, all_projects=LEVELS["ADMINISTER"])

    def level(self, container_id):
        """This caller's level on a container (0: none)."""
        if container_id in self.levels:
            return self.levels[container_id]
        if self.all_projects and container_id.startswith("project-"):
            return self.all_projects
        return 0

    def require(self, container_id, level):
        """PermissionDenied unless the caller has `level` on the container."""
        if self.level(container_id) < LEVELS[level]:
            raise ApiError("PermissionDenied", f"{level} permission required in {container_id}")
