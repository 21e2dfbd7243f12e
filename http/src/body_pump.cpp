#include "body_pump.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <exception>
#include <memory>
#include <utility>

namespace dropgate::http {

namespace {

// One write of the body at a time on the file pool, while the connection reads the next piece:
// receiving (and decrypting) and writing into the store overlap instead of taking turns. The
// connection's coroutine and the completion run on the connection's own loop (one thread).
class WriteBehind {
  public:
    WriteBehind(Context& context, StoreUpload& upload, boost::asio::any_io_executor executor)
        : context_(context), upload_(upload), wake_(std::move(executor)) {}
    WriteBehind(const WriteBehind&) = delete;
    WriteBehind& operator=(const WriteBehind&) = delete;

    // Starts writing data[0, size), which must stay as it is until finished() returned.
    void start(const char* data, std::size_t size) {
        busy_ = true;
        boost::asio::post(context_.files, [this, data, size] {
            std::exception_ptr failure;
            try {
                upload_.write(data, size);
            } catch (...) {
                failure = std::current_exception();
            }
            boost::asio::post(wake_.get_executor(), [this, failure] {
                busy_ = false;
                failure_ = failure;
                wake_.cancel();
            });
        });
    }

    // Waits for the write in flight, if there is one; throws what it threw (UploadRefused).
    awaitable<void> finished() {
        while (busy_) {
            wake_.expires_at(boost::asio::steady_timer::time_point::max());
            co_await wake_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        if (auto failure = std::exchange(failure_, nullptr)) std::rethrow_exception(failure);
    }

  private:
    Context& context_;
    StoreUpload& upload_;
    boost::asio::steady_timer wake_;
    bool busy_ = false;
    std::exception_ptr failure_;
};

}  // namespace

awaitable<bool> pump_body(Context& context, Exchange& exchange, StoreUpload& upload,
                          std::uint64_t limit) {
    std::array<std::unique_ptr<char[]>, 2> buffers{std::make_unique<char[]>(kWriteSize),
                                                   std::make_unique<char[]>(kWriteSize)};
    WriteBehind writer(context, upload, co_await boost::asio::this_coro::executor);
    std::uint64_t taken = 0;
    std::size_t current = 0;
    bool fits = true;
    std::exception_ptr broken;
    try {
        while (!exchange.body_done()) {
            char* buffer = buffers[current].get();
            std::size_t filled = 0;
            while (filled < kWriteSize && !exchange.body_done()) {
                std::size_t n = co_await exchange.read_body(buffer + filled, kWriteSize - filled);
                if (n == 0) break;
                filled += n;
            }
            if (taken + filled > limit) {
                fits = false;
                break;
            }
            taken += filled;
            if (filled == 0) continue;
            co_await writer.finished();  // the piece before: in order, and a refusal stops here
            writer.start(buffer, filled);
            current ^= 1;
        }
    } catch (...) {
        broken = std::current_exception();  // the connection, or the store's refusal
    }
    // Never leave with a write in flight: it uses the buffers and the upload. Its refusal is
    // the answer even when the connection broke too.
    co_await writer.finished();
    if (broken) std::rethrow_exception(broken);
    co_return fits;
}

awaitable<void> suspend_upload(Context& context, StoreUpload& upload) {
    co_await on_files(context, [&] {
        upload.suspend();
        return 0;
    });
}

}  // namespace dropgate::http
