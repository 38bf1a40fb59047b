// Pinned wrapper module for github.com/owenrumney/go-sarif, which embeds the OASIS SARIF 2.1.0 JSON
// schema (errata 01): scripts/bootstrap takes the schema from it, so tests validate edgefed's SARIF
// output against the official schema without a download from anywhere but the Go module proxy.
module edgefed.local/toolchain/sarif

go 1.26

require github.com/owenrumney/go-sarif/v3 v3.3.0

require (
	github.com/xeipuuv/gojsonpointer v0.0.0-20180127040702-4e3ac2762d5f // indirect
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415 // indirect
	github.com/xeipuuv/gojsonschema v1.2.0 // indirect
)
