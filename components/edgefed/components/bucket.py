"""ResidentBucket: an app's object storage in one country, through the S3 API (boto3 dynamic provider).

The bucket is created in the endpoint's region (location constraint) with versioning, default
encryption and a public access block; ``read`` reports the live state, ``diff`` compares the desired
state with the live bucket so that drift shows up in ``pulumi preview``, and ``delete`` refuses to
destroy a bucket that still holds data. Access keys are Pulumi secrets in inputs and outputs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from edgefed.components.errors import InputError
from edgefed.core.inputs.labels import CLASSIFICATIONS

TYPE_TOKEN = "edgefed:index:ResidentBucket"
BUCKET_MODULE, BUCKET_NAME = "edgefed", "ResidentBucket"
"""The dynamic resource's own type, ``pulumi-python:dynamic/edgefed:ResidentBucket``: the policy pack
recognises buckets by it, never by the shape of an arbitrary dynamic resource's properties."""
_GENERIC_DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
CONTROLS = ("encryption", "public-access-block")
SECRET_OUTPUTS = ["access_key", "secret_key"]
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REPLACE_KEYS = ("bucket", "endpoint", "region")
_NOT_IMPLEMENTED = {"NotImplemented", "501"}
_MISSING = {"404", "NoSuchBucket", "NotFound"}


class BucketError(RuntimeError):
    """The object store refused or failed an operation; the message says which and what to do."""


@dataclass(frozen=True)
class ResidentBucketArgs:
    """Inputs of :class:`ResidentBucket`."""

    bucket: str
    """Bucket name (3-63 lower-case letters, digits, '.' and '-')."""
    country: str
    """Country the data must stay in; recorded as a tag and checked by the policy pack."""
    endpoint: str
    """S3 endpoint of the country's object storage (from the catalog)."""
    region: str
    """S3 region, sent as the location constraint (from the catalog)."""
    access_key: pulumi.Input[str]
    """S3 access key id; kept secret."""
    secret_key: pulumi.Input[str]
    """S3 secret access key; kept secret."""
    data_classification: str
    """Classification of the data the bucket holds (``public``...``restricted``). No default: restricted
    data needs an endpoint with default encryption, so the bucket must say what it holds."""
    unsupported_controls: Sequence[str] = ()
    """Controls the endpoint is known not to implement (catalog ``unsupported_controls``). Default none:
    every control is required."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra bucket tags. Default none."""


def _error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _client(props: Mapping[str, Any]) -> Any:
    return _store_client(
        str(props["endpoint"]), str(props["region"]), str(props["access_key"]), str(props["secret_key"])
    )


@functools.lru_cache(maxsize=16)
def _store_client(endpoint: str, region: str, access_key: str, secret_key: str) -> Any:
    """The S3 client of a store, made once per provider process and keys.

    Making one loads S3's service model (60-90 ms), and a preview diffs every bucket of the stack.
    Clients are thread-safe; sessions are not, hence a session of its own for each.
    """
    # boto3 loads in the provider only, when a bucket is really read or written: a render-mode preview
    # (no buckets) never pays its import (about 0.2 s).
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=BotoConfig(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def _desired_tags(props: Mapping[str, Any]) -> dict[str, str]:
    return {"edgefed.io/country": str(props["country"]).lower(), **dict(props.get("tags") or {})}


def _desired_state(props: Mapping[str, Any]) -> dict[str, Any]:
    unsupported = set(props.get("unsupported_controls") or [])
    return {
        "location": props["region"],
        "versioning": "Enabled",
        "encryption": "unsupported" if "encryption" in unsupported else "AES256",
        "public_access_block": "unsupported" if "public-access-block" in unsupported else "enabled",
        "bucket_tags": _desired_tags(props),
    }


def _why_not_adoptable(client: Any, bucket: str, region: str) -> str | None:
    """Why an existing bucket of ours may not be adopted by a create, or ``None`` if it may."""
    location = client.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if location != region:
        return f"is in region {location}, not {region}"
    listing = client.list_object_versions(Bucket=bucket, MaxKeys=1)
    if listing.get("Versions") or listing.get("DeleteMarkers"):
        return "holds objects"
    return None


def _live_state(client: Any, bucket: str) -> dict[str, Any] | None:
    """The bucket as the server reports it, or ``None`` if it does not exist."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if _error_code(exc) in _MISSING:
            return None
        raise
    location = client.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    versioning = client.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
    try:
        rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        encryption = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] if rules else "none"
    except ClientError as exc:
        encryption = "unsupported" if _error_code(exc) in _NOT_IMPLEMENTED else "none"
    try:
        block = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        public_access_block = "enabled" if all(block.values()) else "partial"
    except ClientError as exc:
        public_access_block = "unsupported" if _error_code(exc) in _NOT_IMPLEMENTED else "none"
    try:
        tags = {t["Key"]: t["Value"] for t in client.get_bucket_tagging(Bucket=bucket).get("TagSet", [])}
    except ClientError:
        tags = {}
    return {
        "location": location,
        "versioning": versioning,
        "encryption": encryption,
        "public_access_block": public_access_block,
        "bucket_tags": tags,
    }


def _apply(client: Any, props: Mapping[str, Any]) -> None:
    """Bring the bucket's controls and tags to the desired state."""
    bucket = props["bucket"]
    unsupported = set(props.get("unsupported_controls") or [])
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    steps: dict[str, Callable[[], object]] = {
        "encryption": lambda: client.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
        "public-access-block": lambda: client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        ),
    }
    for control, step in steps.items():
        if control in unsupported:
            continue
        try:
            step()
        except ClientError as exc:
            if _error_code(exc) in _NOT_IMPLEMENTED:
                raise BucketError(
                    f"bucket {bucket}: endpoint {props['endpoint']} does not implement {control} "
                    f"(NotImplemented). Use an endpoint that does, or list '{control}' in the zone's "
                    "object_storage.unsupported_controls in the catalog so reviewers see it"
                ) from None
            raise
    tags = _desired_tags(props)
    client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


class BucketProvider(ResourceProvider):
    """Dynamic provider for S3 buckets. Stateless: credentials travel in (secret) properties."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs before any call to the object store."""
        failures = []
        if not _BUCKET_NAME.match(str(news.get("bucket", ""))) or ".." in str(news.get("bucket", "")):
            failures.append(CheckFailure("bucket", f"{news.get('bucket')!r} is not a valid S3 bucket name"))
        if not str(news.get("endpoint", "")).startswith(("http://", "https://")):
            failures.append(CheckFailure("endpoint", f"{news.get('endpoint')!r} is not an http(s) URL"))
        for control in news.get("unsupported_controls") or []:
            if control not in CONTROLS:
                failures.append(
                    CheckFailure(
                        "unsupported_controls", f"{control!r} is not a control; allowed: {', '.join(CONTROLS)}"
                    )
                )
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the bucket in its region, then apply its controls; remove it again if a control fails."""
        client = _client(props)
        bucket = props["bucket"]
        try:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": props["region"]})
        except ClientError as exc:
            code = _error_code(exc)
            if code != "BucketAlreadyOwnedByYou":
                raise BucketError(f"bucket {bucket}: create at {props['endpoint']} failed: {code}: {exc}") from None
            # An update killed between creating the bucket and saving the state leaves an empty bucket of
            # ours behind: adopting it is what the interrupted create would have done. A bucket that holds
            # data, or lives in another region, is never taken over silently.
            reason = _why_not_adoptable(client, bucket, props["region"])
            if reason:
                raise BucketError(
                    f"bucket {bucket} already exists at {props['endpoint']} and {reason}; import it with "
                    "`pulumi import` instead of creating it, so that no data is lost"
                ) from None
            pulumi.log.info(f"bucket {bucket}: adopting the empty bucket an interrupted update left behind")
        except EndpointConnectionError as exc:
            raise BucketError(f"bucket {bucket}: cannot reach {props['endpoint']}: {exc}") from None
        try:
            _apply(client, props)
        except Exception:
            # Nothing half-deployed: the new bucket is still empty, so take it away again.
            client.delete_bucket(Bucket=bucket)
            raise
        live = _live_state(client, bucket) or {}
        return CreateResult(id_=bucket, outs={**props, **live})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Report the live bucket; an empty result tells the engine it is gone."""
        live = _live_state(_client(props), id_)
        if live is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **live})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare inputs, and the live bucket against the desired state (drift)."""
        replaces = [key for key in _REPLACE_KEYS if olds.get(key) != news.get(key)]
        changed = [
            key
            for key in ("access_key", "secret_key", "country", "tags", "unsupported_controls", "data_classification")
            if olds.get(key) != news.get(key)
        ]
        if not replaces:
            try:
                live = _live_state(_client(news), id_)
            except (ClientError, BotoCoreError) as exc:
                # Fail closed: a preview that could not look must not show "no drift".
                why = _error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                raise BucketError(
                    f"bucket {id_!r}: cannot read its live settings at {news.get('endpoint')} ({why}); "
                    "drift cannot be ruled out, so nothing is planned for it. Retry once the object store answers"
                ) from None
            if live is None:
                replaces.append("bucket")
            else:
                desired = _desired_state(news)
                changed += [key for key, value in desired.items() if live.get(key) != value]
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=True,
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Re-apply controls and tags (restores drifted settings)."""
        client = _client(news)
        _apply(client, news)
        return UpdateResult(outs={**news, **(_live_state(client, id_) or {})})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the bucket, but never one that still holds data."""
        client = _client(props)
        try:
            listing = client.list_object_versions(Bucket=id_, MaxKeys=1)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return
            raise
        if listing.get("Versions") or listing.get("DeleteMarkers"):
            raise BucketError(
                f"bucket {id_} at {props['endpoint']} still holds data; edgefed never deletes data. Empty it "
                "first, or keep it and drop it from the stack with `pulumi state delete`"
            )
        client.delete_bucket(Bucket=id_)


class _Bucket(Resource, module=BUCKET_MODULE, name=BUCKET_NAME):
    """The dynamic resource behind :class:`ResidentBucket`, with its own type token."""

    bucket: pulumi.Output[str]
    location: pulumi.Output[str]
    versioning: pulumi.Output[str]
    encryption: pulumi.Output[str]
    public_access_block: pulumi.Output[str]
    bucket_tags: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        outputs = dict.fromkeys(("location", "versioning", "encryption", "public_access_block", "bucket_tags"))
        super().__init__(BucketProvider(), name, {**props, **outputs}, opts)


class ResidentBucket(pulumi.ComponentResource):
    """Object storage for one app in one country, kept in that country's region."""

    def __init__(self, name: str, args: ResidentBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Register the bucket under ``name``; credentials stay Pulumi secrets.

        Restricted data (or an unknown classification: fail closed) on an endpoint that cannot encrypt by
        default raises before anything is registered.
        """
        classification = args.data_classification
        restricted = classification not in CLASSIFICATIONS or classification == "restricted"
        if restricted and "encryption" in args.unsupported_controls:
            raise InputError(
                f"ResidentBucket {name}: {classification!r} data needs default encryption, which "
                f"{args.endpoint} does not implement (catalog unsupported_controls); keep restricted data "
                "off this endpoint (app spec object_storage: false) or use one that encrypts"
            )
        super().__init__(TYPE_TOKEN, name, None, opts)
        props = {
            "bucket": args.bucket,
            "country": args.country,
            "endpoint": args.endpoint,
            "region": args.region,
            "access_key": pulumi.Output.secret(args.access_key),
            "secret_key": pulumi.Output.secret(args.secret_key),
            "unsupported_controls": list(args.unsupported_controls),
            "data_classification": classification,
            "tags": dict(args.tags),
        }
        self.resource = _Bucket(
            f"{name}-bucket",
            props,
            pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=SECRET_OUTPUTS,
                # Buckets created before the type had a name keep their state (and their data).
                aliases=[pulumi.Alias(type_=_GENERIC_DYNAMIC_TYPE)],
            ),
        )
        self.bucket = self.resource.bucket
        self.register_outputs(
            {
                "bucket": self.resource.bucket,
                "country": args.country,
                "endpoint": args.endpoint,
                "region": args.region,
                "versioning": self.resource.versioning,
                "encryption": self.resource.encryption,
                "publicAccessBlock": self.resource.public_access_block,
            }
        )
