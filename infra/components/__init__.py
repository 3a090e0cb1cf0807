"""One `ComponentResource` per concern; `__main__.py` composes them."""

from .artifact_registry import ArtifactRegistry, ArtifactRegistryArgs
from .cloud_run_service import AppAuth, CloudRunService, CloudRunServiceArgs, Gpu, Iap, VpcEgress
from .firestore_database import FirestoreDatabase, FirestoreDatabaseArgs
from .github_identity import GithubIdentity, GithubIdentityArgs
from .network import Network, NetworkArgs
from .project_apis import ProjectApis, ProjectApisArgs
from .redis_cache import RedisCache, RedisCacheArgs
from .secret_store import SecretStore, SecretStoreArgs
from .service_identity import ServiceIdentity, ServiceIdentityArgs
from .vector_search import VectorSearch, VectorSearchArgs

__all__ = [
    "AppAuth",
    "ArtifactRegistry",
    "ArtifactRegistryArgs",
    "CloudRunService",
    "CloudRunServiceArgs",
    "FirestoreDatabase",
    "FirestoreDatabaseArgs",
    "GithubIdentity",
    "GithubIdentityArgs",
    "Gpu",
    "Iap",
    "Network",
    "NetworkArgs",
    "ProjectApis",
    "ProjectApisArgs",
    "RedisCache",
    "RedisCacheArgs",
    "SecretStore",
    "SecretStoreArgs",
    "ServiceIdentity",
    "ServiceIdentityArgs",
    "VectorSearch",
    "VectorSearchArgs",
    "VpcEgress",
]
