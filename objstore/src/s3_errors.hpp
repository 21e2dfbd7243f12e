// How a failed S3 request becomes an S3Error: which answers are worth retrying.
#pragma once

#include <curl/curl.h>

#include <string>

#include "dropgate/objstore/s3_client.hpp"

namespace dropgate::objstore {

// The text of the first <name>…</name> in an S3 XML answer ("" if none).
std::string xml_element(const std::string& xml, const std::string& name);
S3Error transport_error(CURLcode code, const std::string& what);
S3Error status_error(long status, const std::string& body, const std::string& what);

}  // namespace dropgate::objstore
