# Independent reference for assaypipe's study statistics, written directly in R.
#
#   Rscript study_reference.R samples.tsv subjects.tsv out.tsv
#
# Reads the fixed study in tests/reference (a samples table and subject groups and
# covariates) and writes one line per number assaypipe reports:
# analysis, analyte, group, field, value (17 significant digits). Every test is R's
# own: wilcox.test (paired, exact = TRUE, conf.int = TRUE; and two-sample,
# conf.int = TRUE), lm, cor.test(method = "spearman"), p.adjust(method = "BH"); the
# cluster-robust covariance of pooled samples is sandwich::vcovCL(type = "HC1") where
# the sandwich package is installed, else the same CR1 sandwich written out below.
# The families of Benjamini-Hochberg are those of docs/statistics.md ("Families").

args <- commandArgs(trailingOnly = TRUE)
samples <- read.delim(args[1], stringsAsFactors = FALSE, na.strings = "")
subjects <- read.delim(args[2], stringsAsFactors = FALSE)
out_file <- args[3]

pre_visit <- "baseline"
post_visit <- "post"
subgroup_analyte <- "D"
subgroup_threshold <- 300
pairs <- list(c("A", "D"))
covariates <- c("age", "disease_duration", "baseline_edss")

rows <- list()
emit <- function(analysis, analyte, group, values) {
  for (field in names(values)) {
    rows[[length(rows) + 1]] <<- data.frame(
      analysis = analysis, analyte = analyte, group = group, field = field,
      value = sprintf("%.17g", as.numeric(values[[field]])), stringsAsFactors = FALSE
    )
  }
}

policy_value <- function(policy) {
  below <- !is.na(samples$censor) & samples$censor %in% c("<LLOQ", "<LOD")
  value <- samples$concentration
  value[below] <- switch(policy,
    half_lloq = samples$lloq[below] / 2,
    lloq_sqrt2 = samples$lloq[below] / sqrt(2),
    exclude = NA
  )
  value
}

# subject x analyte values at one visit
at_visit <- function(values, visit, analyte) {
  keep <- samples$visit == visit & samples$analyte == analyte
  setNames(values[keep], samples$subject_id[keep])
}

paired_frame <- function(values, analyte, members = NULL) {
  pre <- at_visit(values, pre_visit, analyte)
  post <- at_visit(values, post_visit, analyte)
  ids <- sort(intersect(names(pre), names(post)))
  frame <- data.frame(id = ids, pre = pre[ids], post = post[ids], stringsAsFactors = FALSE)
  frame <- frame[complete.cases(frame), ]
  if (!is.null(members)) frame <- frame[frame$id %in% members, ]
  frame
}

signed_rank <- function(frame) {
  d <- frame$post - frame$pre
  test <- suppressWarnings(
    wilcox.test(frame$post, frame$pre, paired = TRUE, exact = TRUE, conf.int = TRUE)
  )
  plain <- suppressWarnings(
    wilcox.test(frame$post, frame$pre, paired = TRUE, exact = FALSE, correct = FALSE)
  )
  ranked <- sum(d != 0)
  z <- qnorm(plain$p.value / 2, lower.tail = FALSE) *
    sign(test$statistic - ranked * (ranked + 1) / 4)
  list(
    test = c(
      n = nrow(frame), estimate = unname(test$estimate), ci_low = test$conf.int[1],
      ci_high = test$conf.int[2], statistic = unname(test$statistic), p = test$p.value
    ),
    pre = median(frame$pre), post = median(frame$post), difference = median(d),
    z = unname(z), r = unname(z) / sqrt(ranked)
  )
}

group_sets <- list(
  all = NULL,
  nonresponder = subjects$subject_id[subjects$group == "nonresponder"],
  responder = subjects$subject_id[subjects$group == "responder"]
)
analytes <- sort(unique(samples$analyte))

# p-values of one analysis x group, to be BH-adjusted together
adjust_rows <- function(analysis, group, tests) {
  q <- p.adjust(sapply(tests, function(t) t[["p"]]), method = "BH")
  for (i in seq_along(tests)) {
    emit(analysis, names(tests)[i], group, c(tests[[i]], q = q[[i]]))
  }
}

family <- function(values, prefix, sets, test_name = "prepost", descriptives = TRUE) {
  for (group in names(sets)) {
    tests <- list()
    for (analyte in analytes) {
      result <- signed_rank(paired_frame(values, analyte, sets[[group]]))
      tests[[analyte]] <- result$test
      if (descriptives) {
        n <- c(n = result$test[["n"]])
        emit(paste0(prefix, "prepost_median_pre"), analyte, group, c(n, estimate = result$pre))
        emit(paste0(prefix, "prepost_median_post"), analyte, group, c(n, estimate = result$post))
        emit(paste0(prefix, "prepost_median_difference"), analyte, group,
             c(n, estimate = result$difference))
        emit(paste0(prefix, "prepost_effect_size"), analyte, group,
             c(n, estimate = result$r, statistic = result$z))
      }
    }
    adjust_rows(paste0(prefix, test_name), group, tests)
  }
}

half <- policy_value("half_lloq")

# pre/post, all subjects and by responder group, with the descriptive rows
family(half, "", group_sets)

# sensitivity: every subject under each below-LLOQ policy
for (policy in c("half_lloq", "lloq_sqrt2", "exclude")) {
  family(policy_value(policy), "sensitivity_", list(all = NULL), test_name = policy,
         descriptives = FALSE)
}

# subgroup: baseline value of the subgroup analyte above the threshold
base <- at_visit(half, pre_visit, subgroup_analyte)
chosen <- names(base)[!is.na(base) & base > subgroup_threshold]
subgroup_sets <- lapply(group_sets, function(s) if (is.null(s)) chosen else intersect(s, chosen))
family(half, "subgroup_", subgroup_sets)

# change: nonresponders vs responders, post - pre and log2(post / pre): the two scales
# are one family
change_tests <- list()
for (kind in c("change_difference", "change_log2_ratio")) {
  for (analyte in analytes) {
    frame <- paired_frame(half, analyte)
    change <- if (kind == "change_difference") frame$post - frame$pre else log2(frame$post / frame$pre)
    names(change) <- frame$id
    x <- change[names(change) %in% group_sets$nonresponder]
    y <- change[names(change) %in% group_sets$responder]
    test <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE))
    change_tests[[length(change_tests) + 1]] <- list(kind = kind, analyte = analyte, test = c(
      n = length(x) + length(y), estimate = unname(test$estimate), ci_low = test$conf.int[1],
      ci_high = test$conf.int[2], statistic = unname(test$statistic), p = test$p.value
    ))
    emit(paste0(kind, "_median"), analyte, "nonresponder", c(n = length(x), estimate = median(x)))
    emit(paste0(kind, "_median"), analyte, "responder", c(n = length(y), estimate = median(y)))
  }
}
change_q <- p.adjust(sapply(change_tests, function(t) t$test[["p"]]), method = "BH")
for (i in seq_along(change_tests)) {
  t <- change_tests[[i]]
  emit(t$kind, t$analyte, "nonresponder vs responder", c(t$test, q = change_q[[i]]))
}

# CR1 cluster-robust covariance of an lm fit: sandwich::vcovCL(fit, cluster, type = "HC1")
cluster_vcov <- function(fit, cluster) {
  if (requireNamespace("sandwich", quietly = TRUE)) {
    return(sandwich::vcovCL(fit, cluster = cluster, type = "HC1"))
  }
  X <- model.matrix(fit)
  e <- residuals(fit)
  bread <- solve(crossprod(X))
  scores <- rowsum(X * e, cluster)
  g <- nrow(scores)
  n <- nrow(X)
  k <- ncol(X)
  g / (g - 1) * (n - 1) / (n - k) * bread %*% crossprod(scores) %*% bread
}

# OLS and Spearman; with clusters (pooled samples) the OLS rows are cluster-robust on
# G - 1 degrees of freedom and ols_slope_naive is lm's own test
models <- function(x, y, cluster = NULL) {
  keep <- complete.cases(x, y)
  x <- x[keep]
  y <- y[keep]
  fit <- lm(y ~ x)
  s <- summary(fit)
  ci <- confint(fit, level = 0.95)
  f <- s$fstatistic
  rho <- suppressWarnings(cor.test(x, y, method = "spearman"))
  # where AS 89's Edgeworth series falls below 0 (p = 0), the t approximation, as assaypipe
  if (rho$p.value == 0) rho <- suppressWarnings(cor.test(x, y, method = "spearman", exact = FALSE))
  n <- c(n = length(x))
  coefficient <- function(name, se, t, p, low, high) {
    c(n, estimate = coef(fit)[[name]], ci_low = low, ci_high = high, statistic = t, p = p)
  }
  plain <- function(name) {
    coefficient(name, NA, s$coefficients[name, "t value"], s$coefficients[name, "Pr(>|t|)"],
                ci[name, 1], ci[name, 2])
  }
  out <- list(
    ols_slope = plain("x"),
    ols_intercept = plain("(Intercept)"),
    ols_r2 = c(n, estimate = s$r.squared, statistic = unname(f[["value"]]),
               p = pf(f[["value"]], f[["numdf"]], f[["dendf"]], lower.tail = FALSE)),
    spearman_rho = c(n, estimate = unname(rho$estimate), statistic = unname(rho$statistic),
                     p = rho$p.value)
  )
  if (!is.null(cluster)) {
    cluster <- cluster[keep]
    df <- length(unique(cluster)) - 1
    se <- sqrt(diag(cluster_vcov(fit, cluster)))
    robust <- function(name) {
      t <- coef(fit)[[name]] / se[[name]]
      half <- qt(0.975, df) * se[[name]]
      coefficient(name, se[[name]], t, 2 * pt(abs(t), df, lower.tail = FALSE),
                  coef(fit)[[name]] - half, coef(fit)[[name]] + half)
    }
    out$ols_slope_naive <- out$ols_slope
    out$ols_slope <- robust("x")
    out$ols_intercept <- robust("(Intercept)")
    wald <- out$ols_slope[["statistic"]]^2
    out$ols_r2 <- c(n, estimate = s$r.squared, statistic = wald,
                    p = pf(wald, 1, df, lower.tail = FALSE))
  }
  out
}

# slope and rho of one group are one family (across analytes, or the pairs of one kind);
# over pooled samples rho's p treats the points as independent and is not adjusted
emit_models <- function(group, results, clustered = FALSE) {
  plain <- c("ols_intercept", "ols_r2", if (clustered) c("ols_slope_naive", "spearman_rho"))
  for (analysis in plain) {
    for (analyte in names(results)) emit(analysis, analyte, group, results[[analyte]][[analysis]])
  }
  adjusted <- if (clustered) "ols_slope" else c("ols_slope", "spearman_rho")
  tests <- list()
  for (analysis in adjusted) {
    for (analyte in names(results)) {
      tests[[length(tests) + 1]] <- list(analysis = analysis, analyte = analyte,
                                         test = results[[analyte]][[analysis]])
    }
  }
  q <- p.adjust(sapply(tests, function(t) t$test[["p"]]), method = "BH")
  for (i in seq_along(tests)) {
    emit(tests[[i]]$analysis, tests[[i]]$analyte, group, c(tests[[i]]$test, q = q[[i]]))
  }
}

for (pair in pairs) {
  x_name <- pair[1]
  y_name <- pair[2]
  pooled <- list()
  for (visit in c(pre_visit, post_visit)) {
    x <- at_visit(half, visit, x_name)
    y <- at_visit(half, visit, y_name)
    ids <- intersect(names(x), names(y))
    pooled[[visit]] <- data.frame(id = ids, x = x[ids], y = y[ids], stringsAsFactors = FALSE)
    emit_models(paste(x_name, "|", visit),
                setNames(list(models(pooled[[visit]]$x, pooled[[visit]]$y)), y_name))
  }
  pooled <- do.call(rbind, pooled)
  emit_models(paste(x_name, "| pooled"),
              setNames(list(models(pooled$x, pooled$y, cluster = pooled$id)), y_name),
              clustered = TRUE)
  fx <- paired_frame(half, x_name)
  fy <- paired_frame(half, y_name)
  ids <- intersect(fx$id, fy$id)
  dx <- setNames(fx$post - fx$pre, fx$id)[ids]
  dy <- setNames(fy$post - fy$pre, fy$id)[ids]
  emit_models(paste(x_name, "| change"), setNames(list(models(dx, dy)), y_name))
}

for (covariate in covariates) {
  values <- setNames(subjects[[covariate]], subjects$subject_id)
  results <- list()
  for (analyte in analytes) {
    base <- at_visit(half, pre_visit, analyte)
    ids <- intersect(names(base), names(values))
    results[[analyte]] <- models(values[ids], base[ids])
  }
  emit_models(paste(covariate, "|", pre_visit), results)
}

write.table(do.call(rbind, rows), out_file, sep = "\t", quote = FALSE, row.names = FALSE)
