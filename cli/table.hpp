// The CLI's tables for people: columns as wide as their widest cell.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace dropgate::cli {

// Collects rows and prints them as a table whose columns are as wide as their widest cell.
// Columns listed in `right` (numbers) are right-aligned.
class Table {
  public:
    Table(std::vector<std::string> header, std::vector<bool> right) : right_(std::move(right)) {
        rows_.push_back(std::move(header));
    }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.size() == 1; }
    void print() const {
        std::vector<std::size_t> width(rows_[0].size(), 0);
        for (const auto& row : rows_)
            for (std::size_t i = 0; i < row.size(); ++i)
                width[i] = std::max(width[i], row[i].size());
        for (const auto& row : rows_) {
            std::string line;
            for (std::size_t i = 0; i < row.size(); ++i) {
                bool last = i + 1 == row.size();
                std::string pad(width[i] - row[i].size(), ' ');
                if (right_[i])
                    line += pad + row[i];
                else
                    line += last ? row[i] : row[i] + pad;
                if (!last) line += "  ";
            }
            std::printf("%s\n", line.c_str());
        }
    }

  private:
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace dropgate::cli
