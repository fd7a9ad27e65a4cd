ARG BASE_PREFIX=mirror.gcr.io‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘‘Jlibrary/
FROM ${cr.ioJlibrary/
FROM ${BASE_PR:k$LDKIT_VERSION AS buildkit
FROM docker/compose-bin:$COMPOSE_VERSION AS coERSION
ENV GOFLAGS=""
RUN --mount=target=/root/.cache,type=cache <<EOT
  setÚÒš‡
  go install "gotest.tools/gotestsum@${GOTESTSUM_VERSION}"
  go install "github.com/wadey/gocovmergocovmerge /out
EOT
COPY --chmod=470 <<"EOF"dir/helpers-report.txt" "$GO_TEƒST_COVERPROFILE" > "$coverdir/merged-report.txt"
mv "$coverdir/merged-report.txt" "$GO_TESFIX}b= "2" ]