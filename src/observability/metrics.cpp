// See metrics.hpp. Shards: each thread that records into a family gets its own map of series,
// found through a thread-local table indexed by the family's process-unique id. Only the owning
// thread inserts into its map (under the shard mutex, because a scrape may be reading it); its
// lookups need no lock since nobody else writes. Cells are atomics with a single writer.
#include "observability/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace portcullis::observability {
namespace {

std::atomic<std::size_t> g_next_family_id{0};

// Single writer: a relaxed load and store are enough and cost no bus lock.
void bump(std::atomic<double>& cell, double by) {
    cell.store(cell.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

bool valid_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        const bool digit = c >= '0' && c <= '9';
        if (!(alpha || (i > 0 && digit))) return false;
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.starts_with("__")) return false;  // reserved for Prometheus itself
    return valid_metric_name(name) && name.find(':') == std::string_view::npos;
}

// Series key: each value prefixed by its length, so no value can forge a separator.
void encode_key(std::string& key, LabelValues values) {
    key.clear();
    for (const auto value : values) {
        const auto size = static_cast<std::uint32_t>(value.size());
        key.append(reinterpret_cast<const char*>(&size), sizeof size);
        key.append(value);
    }
}

struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
        return std::hash<std::string_view>{}(key);
    }
};

std::string_view type_name(MetricType type) {
    switch (type) {
        case MetricType::counter:
            return "counter";
        case MetricType::gauge:
            return "gauge";
        case MetricType::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

void Counter::inc(double by) const {
    bump(*cell_, by);
}

void Gauge::set(double value) const {
    cell_->store(value, std::memory_order_relaxed);
}

void Gauge::add(double by) const {
    bump(*cell_, by);
}

void Histogram::observe(double value) const {
    std::size_t bucket = 0;
    while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;  // `le` is inclusive
    bump(cells_[bucket], 1.0);
    bump(cells_[bounds_.size() + 1], value);
}

struct Family::Shard {
    struct Series {
        std::vector<std::string> values;
        std::unique_ptr<std::atomic<double>[]> cells;
    };
    std::mutex mutex;  // held by the owner while inserting, by a scrape while reading
    std::unordered_map<std::string, Series, KeyHash, std::equal_to<>> series;
};

Family::Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
               std::vector<double> buckets, GaugeMerge merge)
    : id_(g_next_family_id.fetch_add(1)),
      name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labels_(std::move(labels)),
      buckets_(std::move(buckets)),
      merge_(merge) {
    if (!valid_metric_name(name_)) throw std::invalid_argument("invalid metric name: " + name_);
    for (const auto& label : labels_) {
        if (!valid_label_name(label) || (type_ == MetricType::histogram && label == "le")) {
            throw std::invalid_argument("invalid label name for " + name_ + ": " + label);
        }
    }
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        if (!std::isfinite(buckets_[i]) || (i > 0 && buckets_[i] <= buckets_[i - 1])) {
            throw std::invalid_argument("histogram buckets must increase: " + name_);
        }
    }
    if (labels_.empty()) declared_.emplace_back();
}

Family::~Family() = default;

std::size_t Family::cell_count() const {
    return type_ == MetricType::histogram ? buckets_.size() + 2 : 1;
}

void Family::declare(LabelValues values) {
    if (values.size() != labels_.size()) {
        throw std::invalid_argument("wrong number of label values for " + name_);
    }
    std::vector<std::string> owned(values.begin(), values.end());
    std::lock_guard lock(mutex_);
    if (std::find(declared_.begin(), declared_.end(), owned) == declared_.end()) {
        declared_.push_back(std::move(owned));
    }
}

Family::Shard& Family::local_shard() {
    // Indexed by family id; ids are never reused, so a slot of a destroyed family is never read.
    thread_local std::vector<Shard*> shards;
    if (id_ >= shards.size()) shards.resize(id_ + 1, nullptr);
    Shard*& slot = shards[id_];
    if (slot == nullptr) {
        std::lock_guard lock(mutex_);
        shards_.push_back(std::make_unique<Shard>());
        slot = shards_.back().get();
    }
    return *slot;
}

std::atomic<double>* Family::local_cells(LabelValues values) {
    if (values.size() != labels_.size()) {
        throw std::invalid_argument("wrong number of label values for " + name_);
    }
    thread_local std::string key;  // reused: no allocation once the series exists
    encode_key(key, values);
    Shard& shard = local_shard();
    if (const auto it = shard.series.find(std::string_view(key)); it != shard.series.end()) {
        return it->second.cells.get();
    }
    Shard::Series series;
    series.values.assign(values.begin(), values.end());
    const std::size_t count = cell_count();
    series.cells = std::make_unique<std::atomic<double>[]>(count);
    for (std::size_t i = 0; i < count; ++i) series.cells[i].store(0.0, std::memory_order_relaxed);
    std::lock_guard lock(shard.mutex);
    // Node-based map: the cells stay where they are when the map rehashes.
    return shard.series.emplace(key, std::move(series)).first->second.cells.get();
}

void Family::write(std::string& out) const {
    struct Merged {
        std::vector<double> cells;
        bool seen = false;  // a shard contributed (max merge starts from the first value)
    };
    const std::size_t count = cell_count();
    std::map<std::vector<std::string>, Merged> merged;
    {
        std::lock_guard lock(mutex_);
        for (const auto& values : declared_) {
            merged.try_emplace(values, Merged{std::vector<double>(count, 0.0), false});
        }
        for (const auto& shard : shards_) {
            std::lock_guard shard_lock(shard->mutex);
            for (const auto& [key, series] : shard->series) {
                auto [it, inserted] = merged.try_emplace(
                    series.values, Merged{std::vector<double>(count, 0.0), false});
                Merged& target = it->second;
                for (std::size_t i = 0; i < count; ++i) {
                    const double v = series.cells[i].load(std::memory_order_relaxed);
                    if (type_ == MetricType::gauge && merge_ == GaugeMerge::max) {
                        target.cells[i] = target.seen ? std::max(target.cells[i], v) : v;
                    } else {
                        target.cells[i] += v;
                    }
                }
                target.seen = true;
            }
        }
    }

    append_help_type(out, name_, help_, type_);
    std::vector<Label> labels;
    labels.reserve(labels_.size() + 1);
    for (const auto& [values, series] : merged) {
        labels.clear();
        for (std::size_t i = 0; i < labels_.size(); ++i) labels.push_back({labels_[i], values[i]});
        if (type_ != MetricType::histogram) {
            append_sample(out, name_, labels, series.cells[0]);
            continue;
        }
        // Cumulative buckets; _count is the +Inf bucket, so the two always agree.
        const std::string bucket_name = name_ + "_bucket";
        double cumulative = 0;
        std::string le;
        labels.push_back({"le", {}});
        for (std::size_t b = 0; b <= buckets_.size(); ++b) {
            cumulative += series.cells[b];
            le.clear();
            if (b < buckets_.size())
                append_value(le, buckets_[b]);
            else
                le = "+Inf";
            labels.back().value = le;
            append_sample(out, bucket_name, labels, cumulative);
        }
        labels.pop_back();
        append_sample(out, name_ + "_sum", labels, series.cells[buckets_.size() + 1]);
        append_sample(out, name_ + "_count", labels, cumulative);
    }
}

void Registry::claim(const std::string& name) {
    if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
        throw std::invalid_argument("metric registered twice: " + name);
    }
    names_.push_back(name);
}

template <typename F>
F& Registry::adopt(std::unique_ptr<F> family) {
    auto& ref = *family;
    std::lock_guard lock(mutex_);
    claim(ref.name());
    entries_.push_back({&ref, {}});
    families_.push_back(std::move(family));
    return ref;
}

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> labels) {
    auto family =
        std::make_unique<CounterFamily>(std::move(name), std::move(help), MetricType::counter,
                                        std::move(labels), std::vector<double>{}, GaugeMerge::sum);
    return adopt(std::move(family));
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels,
                             GaugeMerge merge) {
    auto family = std::make_unique<GaugeFamily>(std::move(name), std::move(help), MetricType::gauge,
                                                std::move(labels), std::vector<double>{}, merge);
    return adopt(std::move(family));
}

HistogramFamily& Registry::histogram(std::string name, std::string help,
                                     std::vector<std::string> labels, std::vector<double> buckets) {
    auto family =
        std::make_unique<HistogramFamily>(std::move(name), std::move(help), MetricType::histogram,
                                          std::move(labels), std::move(buckets), GaugeMerge::sum);
    return adopt(std::move(family));
}

void Registry::add_collector(const std::vector<std::string>& names, Collector collector) {
    std::lock_guard lock(mutex_);
    for (const auto& name : names) {
        if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name: " + name);
        claim(name);
    }
    entries_.push_back({nullptr, std::move(collector)});
}

void Registry::gauge_callback(const std::string& name, std::string help,
                              std::function<double()> read) {
    add_collector({name}, [name, help = std::move(help), read = std::move(read)](std::string& out) {
        append_help_type(out, name, help, MetricType::gauge);
        append_sample(out, name, {}, read());
    });
}

std::string Registry::scrape() const {
    std::string out;
    out.reserve(std::size_t{16} * 1024);
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries_) {
        if (entry.family != nullptr)
            entry.family->write(out);
        else
            entry.collector(out);
    }
    return out;
}

void append_help_type(std::string& out, std::string_view name, std::string_view help,
                      MetricType type) {
    out += "# HELP ";
    out += name;
    out += ' ';
    for (const char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type_name(type);
    out += '\n';
}

void append_escaped_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
}

void append_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                   double value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) out += ',';
            out += labels[i].name;
            out += "=\"";
            append_escaped_label_value(out, labels[i].value);
            out += '"';
        }
        out += '}';
    }
    out += ' ';
    append_value(out, value);
    out += '\n';
}

void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buffer[32];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
        out.append(buffer, result.ptr);
    }
}

}  // namespace portcullis::observability
