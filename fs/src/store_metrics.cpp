#include "store_metrics.hpp"

#include "dropgate/base/metrics.hpp"

namespace dropgate::fs::store_metrics {

namespace {

using contract::UploadState;
using metrics::Counter;

const Counter uploads_accepted("dropgate_uploads_total", "Uploads by final status.",
                               "status=\"accepted\"");
const Counter uploads_rejected("dropgate_uploads_total", "Uploads by final status.",
                               "status=\"rejected\"");
const Counter uploads_aborted("dropgate_uploads_total", "Uploads by final status.",
                              "status=\"aborted\"");
const Counter bytes_accepted("dropgate_upload_bytes_total",
                             "Bytes of finished uploads by final status.", "status=\"accepted\"");
const Counter bytes_rejected("dropgate_upload_bytes_total",
                             "Bytes of finished uploads by final status.", "status=\"rejected\"");
const Counter bytes_aborted("dropgate_upload_bytes_total",
                            "Bytes of finished uploads by final status.", "status=\"aborted\"");
const Counter interrupted("dropgate_uploads_interrupted_total",
                          "Uploads that ended without a verdict and were kept for resume.");
const Counter bytes_in("dropgate_bytes_received_total", "Bytes written by clients into the store.");
const Counter view_bytes("dropgate_view_bytes_read_total",
                         "Bytes of members read through bundle views (<bundle>.d/).");
const Counter view_inflated("dropgate_view_bytes_inflated_total",
                            "Bytes inflated to serve reads through bundle views.");
const metrics::Histogram validation("dropgate_validation_seconds",
                                    "Time from the last close to the verdict, per upload.",
                                    {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                     10});

}  // namespace

void bytes_received(std::uint64_t bytes) {
    bytes_in.add(bytes);
}

void upload_finished(UploadState state, std::uint64_t bytes) {
    switch (state) {
        case UploadState::accepted:
            uploads_accepted.add();
            return bytes_accepted.add(bytes);
        case UploadState::rejected:
            uploads_rejected.add();
            return bytes_rejected.add(bytes);
        case UploadState::aborted:
            uploads_aborted.add();
            return bytes_aborted.add(bytes);
        default:
            return;  // uploading / partial are not endings
    }
}

void upload_interrupted() {
    interrupted.add();
}

void view_read(std::uint64_t bytes, std::uint64_t inflated) {
    view_bytes.add(bytes);
    view_inflated.add(inflated);
}

void verdict_latency(double seconds) {
    validation.observe(seconds);
}

}  // namespace dropgate::fs::store_metrics
