; Hand-written module whose Autophase features are worked out in autophase-features.test.ts.
declare i32 @g(i64)

define i32 @f(i32 %x, i32 %y) {
entry:
  %v = alloca i32, align 4
  store i32 0, i32* %v, align 4
  %c = icmp sgt i32 %x, 0
  br i1 %c, label %a, label %m

a:                                                ; preds = %entry
  %s = add nsw i32 %x, 1
  %r = call i32 @g(i64 32)
  br label %m

m:                                                ; preds = %a, %entry
  %p = phi i32 [ %s, %a ], [ 0, %entry ]
  %z = zext i32 %p to i64
  switch i32 %p, label %d [
    i32 1, label %d
    i32 2, label %e
  ]

d:                                                ; preds = %m, %m
  ret i32 %p

e:                                                ; preds = %m
  unreachable
}
