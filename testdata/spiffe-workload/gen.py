"""Writes the SPIFFE Workload API golden messages with Google's protobuf runtime (PyPI
`protobuf`), from the message definitions of workload.proto (go-spiffe
proto/spiffe/workload/workload.proto at e9973f6314a3fa0e36eb1f00fbfe37bdc1554b96), built as a
descriptor here so no protoc is needed. Run: python3 gen.py (in this folder)."""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
f = descriptor_pb2.FileDescriptorProto(name="workload.proto", syntax="proto3")


def msg(name, fields):
    m = f.message_type.add(name=name)
    for fname, num, label, ftype, tname in fields:
        fd = m.field.add(name=fname, number=num, label=label, type=ftype)
        if tname:
            fd.type_name = tname


msg("JWTSVIDRequest", [
    ("audience", 1, F.LABEL_REPEATED, F.TYPE_STRING, None),
    ("spiffe_id", 2, F.LABEL_OPTIONAL, F.TYPE_STRING, None),
])
msg("JWTSVID", [
    ("spiffe_id", 1, F.LABEL_OPTIONAL, F.TYPE_STRING, None),
    ("svid", 2, F.LABEL_OPTIONAL, F.TYPE_STRING, None),
    ("hint", 3, F.LABEL_OPTIONAL, F.TYPE_STRING, None),
])
msg("JWTSVIDResponse", [
    ("svids", 1, F.LABEL_REPEATED, F.TYPE_MESSAGE, ".JWTSVID"),
])
pool = descriptor_pool.DescriptorPool()
pool.Add(f)
cls = lambda n: message_factory.GetMessageClass(pool.FindMessageTypeByName(n))

req = cls("JWTSVIDRequest")(audience=["sigstore"])
open("request-sigstore.bin", "wb").write(req.SerializeToString())

resp = cls("JWTSVIDResponse")()
a = resp.svids.add(spiffe_id="spiffe://example.org/ns/prod/sa/signer",
                   svid="eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmU6Ly9leGFtcGxlLm9yZy9ucy9wcm9kL3NhL3NpZ25lciJ9." + "s" * 200,
                   hint="external")
resp.svids.add(spiffe_id="spiffe://example.org/other", svid="x.y.z")
open("response-two-svids.bin", "wb").write(resp.SerializeToString())
