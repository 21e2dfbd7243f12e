// The SigV4 signer against AWS's published example (S3 API reference, "Example: GET Object"),
// so a signing mistake shows here before any server sees it.
#include <catch2/catch.hpp>

#include "dropgate/objstore/sigv4.hpp"

using namespace dropgate::objstore;

TEST_CASE("the SigV4 signer reproduces AWS's GET Object example signature") {
    SignedRequest request{"GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                          {},    {{"range", "bytes=0-9"}},         sha256_hex("")};
    Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    auto headers = sign(request, credentials, "us-east-1", "20130524T000000Z");
    std::string authorization;
    for (const auto& [name, value] : headers)
        if (name == "authorization") authorization = value;
    CHECK(authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
          "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("query strings and keys are encoded the way S3 canonicalises them") {
    CHECK(canonical_query({{"uploadId", "a b/c"}, {"partNumber", "3"}}) ==
          "partNumber=3&uploadId=a%20b%2Fc");
    CHECK(canonical_query({{"uploads", ""}}) == "uploads=");
    CHECK(uri_encode("acme/host 1/logs~x.tgz", true) == "acme/host%201/logs~x.tgz");
}
