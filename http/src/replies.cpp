#include "replies.hpp"

#include <cerrno>

namespace dropgate::http {

Status status_for(int error) {
    switch (contract::kind_of(error)) {
        case contract::RefusalKind::invalid:
            return Status::unprocessable_entity;
        case contract::RefusalKind::name_taken:
            return Status::conflict;
        case contract::RefusalKind::limit:
            return Status::payload_too_large;
        case contract::RefusalKind::not_allowed:
            return Status::forbidden;
        case contract::RefusalKind::disk_full:
            return Status::insufficient_storage;
        case contract::RefusalKind::other:
            break;
    }
    if (error == ENOENT) return Status::not_found;
    if (error == EINVAL) return Status::conflict;  // not at the upload's offset
    return Status::internal_server_error;
}

Reply refusal_reply(const contract::Refusal& refusal) {
    return text_reply(status_for(refusal.error), refusal.reason);
}

Reply json_reply(Status status, const nlohmann::ordered_json& body) {
    return Reply{status, {}, body.dump() + "\n", "application/json"};
}

}  // namespace dropgate::http
