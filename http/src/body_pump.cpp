#include "body_pump.hpp"

#include <memory>

namespace dropgate::http {

awaitable<bool> pump_body(Context& context, Exchange& exchange, StoreUpload& upload,
                          std::uint64_t limit) {
    auto buffer = std::make_unique<char[]>(kWriteSize);
    std::uint64_t taken = 0;
    while (!exchange.body_done()) {
        std::size_t filled = 0;
        while (filled < kWriteSize && !exchange.body_done()) {
            std::size_t n = co_await exchange.read_body(buffer.get() + filled, kWriteSize - filled);
            if (n == 0) break;
            filled += n;
        }
        if (taken + filled > limit) co_return false;
        taken += filled;
        if (filled > 0)
            co_await on_files(context, [&] {
                upload.write(buffer.get(), filled);
                return 0;
            });
    }
    co_return true;
}

awaitable<void> suspend_upload(Context& context, StoreUpload& upload) {
    co_await on_files(context, [&] {
        upload.suspend();
        return 0;
    });
}

}  // namespace dropgate::http
