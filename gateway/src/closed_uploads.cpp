#include "closed_uploads.hpp"

#include <algorithm>

namespace dropgate::gateway {

void ClosedUploads::remember(ClosedUpload upload) {
    forget(upload.path);
    recent_.push_front(std::move(upload));
    if (recent_.size() > kCapacity) recent_.pop_back();
}

const ClosedUpload* ClosedUploads::find(std::string_view path) const {
    auto it = std::find_if(recent_.begin(), recent_.end(),
                           [&](const ClosedUpload& upload) { return upload.path == path; });
    return it == recent_.end() ? nullptr : &*it;
}

void ClosedUploads::forget(std::string_view path) {
    std::erase_if(recent_, [&](const ClosedUpload& upload) { return upload.path == path; });
}

}  // namespace dropgate::gateway
