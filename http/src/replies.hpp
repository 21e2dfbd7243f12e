// The replies every handler shares: a refusal as an HTTP status (spec §11: 422 invalid, 409
// taken, 413 a limit, 403 not allowed, 507 disk full) with the store's reason line as the body,
// and JSON bodies.
#pragma once

#include <nlohmann/json.hpp>

#include "dropgate/contract/refusals.hpp"
#include "exchange.hpp"

namespace dropgate::http {

Status status_for(int error);
Reply refusal_reply(const contract::Refusal& refusal);
Reply json_reply(Status status, const nlohmann::ordered_json& body);

}  // namespace dropgate::http
