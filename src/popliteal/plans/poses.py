"""The start and end position of every exercise in the library, as joint angles (figures.py
draws them). Read each pose as a physical therapist would describe it: "lying on the back,
hips bent 50 degrees, knees bent 100, feet flat".

Feet that stand flat get their ankle angle from the rest of the leg (`flat_*`), so a foot on the
floor is on the floor whatever the hip and knee do. The near leg is the one exercised.
"""

from __future__ import annotations

from popliteal.plans import figures
from popliteal.plans.figures import Arm, Leg, Pose, Prop
from popliteal.plans.pose_kit import flat_lying, flat_standing, height_of, on_bike, on_chair

SEATED = flat_standing(90, 90)
STRAIGHT = Leg()
HANDS_ON_WALL = Arm(shoulder=85, elbow=15)
HANDS_ON_THIGHS = Arm(shoulder=25, elbow=55)
PRONE_ARMS = Arm(shoulder=160, elbow=110)
ON_BACK_ARMS = Arm(shoulder=0, elbow=0)
LEANING_BACK_ARMS = Arm(shoulder=-45, elbow=0)
SIDE_ARM = Arm(shoulder=60, elbow=30)  # lying on the side: the top hand on the floor in front
PILLOW_ARM = Arm(shoulder=165, elbow=0)  # the bottom arm stretched out under the head

_step_up_start = Pose(
    base="standing",
    near=flat_standing(60, 75),
    far=Leg(),
    props=(Prop("step", "near_toe"),),
)
STEP = height_of(_step_up_start, "near_toe")
LOW_STEP = 10.0  # the edge a heel drops off: low enough that a person on tiptoe fits the picture


def _wall(**kw: object) -> Pose:
    """Standing facing a wall, hands on it."""
    kw.setdefault("near_arm", HANDS_ON_WALL)
    return Pose(base="standing", props=(Prop("wall", "near_hand"),), **kw)  # type: ignore[arg-type]


POSES: dict[str, tuple[Pose, Pose]] = {
    # ------------------------------------------------------------------ hamstring
    "hamstring_isometric": (
        on_chair(near=SEATED, near_arm=HANDS_ON_THIGHS),
        on_chair(near=flat_standing(90, 105), far=SEATED, near_arm=HANDS_ON_THIGHS),
    ),
    "glute_bridge": (
        Pose(base="lying_back", near=flat_lying(50, 100), near_arm=ON_BACK_ARMS),
        Pose(base="lying_back", trunk=20, near=flat_lying(0, 100, 20), near_arm=ON_BACK_ARMS),
    ),
    "single_leg_bridge": (
        Pose(base="lying_back", near=Leg(hip=50), far=flat_lying(50, 100)),
        Pose(base="lying_back", trunk=20, near=Leg(), far=flat_lying(0, 100, 20)),
    ),
    "hamstring_curl_band": (
        Pose(base="lying_front", near_arm=PRONE_ARMS, props=(Prop("band_post", "near_ankle", 30),)),
        Pose(
            base="lying_front",
            near=Leg(knee=100),
            far=Leg(),
            near_arm=PRONE_ARMS,
            props=(Prop("band_post", "near_ankle", 60),),
        ),
    ),
    "askling_extender": (
        Pose(base="lying_back", near=Leg(hip=90, knee=90), far=Leg(), near_arm=Arm(95, 20)),
        Pose(base="lying_back", near=Leg(hip=90, knee=20), far=Leg(), near_arm=Arm(95, 20)),
    ),
    "askling_diver": (
        Pose(base="standing", near=flat_standing(10, 10), far=Leg(hip=0, knee=10, ankle=-20)),
        Pose(
            base="standing",
            trunk=70,
            near=flat_standing(80, 15, 70),
            far=Leg(hip=-15, ankle=-20),
            near_arm=Arm(170),
        ),
    ),
    "askling_glider": (
        Pose(
            base="standing",
            near=flat_standing(10, 10),
            near_arm=Arm(45, 15),
            props=(Prop("chair_ahead", "near_hand"),),
        ),
        Pose(
            base="standing",
            trunk=10,
            near=flat_standing(25, 20, 10),
            far=Leg(hip=-25, knee=0, ankle=-10),
            near_arm=Arm(60, 5),
            props=(Prop("chair_ahead", "near_hand"),),
        ),
    ),
    "nordic_hamstring_assisted": (
        Pose(
            base="kneeling",
            near=Leg(knee=90, ankle=-40),
            near_arm=Arm(20, 30),
            props=(Prop("anchor", "near_ankle"), Prop("band_loop", "shoulder", 30)),
        ),
        Pose(
            base="kneeling",
            trunk=50,
            near=Leg(knee=40, ankle=-40),
            near_arm=Arm(70, 60),
            props=(Prop("anchor", "near_ankle"), Prop("band_loop", "shoulder", 30)),
        ),
    ),
    "nordic_hamstring": (
        Pose(
            base="kneeling",
            near=Leg(knee=90, ankle=-40),
            near_arm=Arm(20, 30),
            props=(Prop("anchor", "near_ankle"),),
        ),
        Pose(
            base="kneeling",
            trunk=65,
            near=Leg(knee=25, ankle=-40),
            near_arm=Arm(60, 70),
            props=(Prop("anchor", "near_ankle"),),
        ),
    ),
    "romanian_deadlift": (
        Pose(base="standing", near=flat_standing(8, 10), props=(Prop("weight", "near_hand"),)),
        Pose(
            base="standing",
            trunk=65,
            near=flat_standing(75, 15, 65),
            near_arm=Arm(65),
            props=(Prop("weight", "near_hand"),),
        ),
    ),
    "hamstring_stretch_supine": (
        Pose(base="lying_back", near_arm=Arm(40, 30)),
        Pose(
            base="lying_back",
            near=Leg(hip=75, ankle=5),
            far=Leg(),
            near_arm=Arm(55, 15),
            props=(Prop("strap", "near_toe"),),
        ),
    ),
    "hamstring_stretch_seated": (
        on_chair(near=Leg(hip=65, ankle=20), far=SEATED, near_arm=HANDS_ON_THIGHS),
        on_chair(
            trunk=35,
            near=Leg(hip=100, ankle=20),
            far=flat_standing(125, 90, 35),
            near_arm=Arm(60, 10),
        ),
    ),
    # ------------------------------------------------------------------ knee
    "quad_set": (
        Pose(
            base="lying_back",
            near=Leg(hip=4, knee=10),
            far=Leg(),
            props=(Prop("towel", "near_knee"),),
        ),
        Pose(
            base="lying_back",
            near=Leg(hip=3, knee=0),
            far=Leg(),
            props=(Prop("towel", "near_knee"),),
        ),
    ),
    "straight_leg_raise": (
        Pose(base="lying_back", near=Leg(), far=flat_lying(55, 100)),
        Pose(base="lying_back", near=Leg(hip=40), far=flat_lying(55, 100)),
    ),
    "terminal_knee_extension": (
        Pose(
            base="standing",
            near=flat_standing(20, 25),
            far=Leg(),
            props=(Prop("band_loop", "near_knee", -40),),
        ),
        Pose(base="standing", near=Leg(), props=(Prop("band_loop", "near_knee", -40),)),
    ),
    "sit_to_stand": (
        on_chair(trunk=15, near=flat_standing(105, 100, 15), near_arm=Arm(30, 80)),
        Pose(base="standing", near_arm=Arm(10, 70), props=(Prop("chair_behind", "near_heel"),)),
    ),
    "mini_squat": (
        Pose(base="standing", near_arm=Arm(50, 10), props=(Prop("chair_ahead", "near_hand"),)),
        Pose(
            base="standing",
            trunk=20,
            near=flat_standing(50, 45, 20),
            near_arm=Arm(55, 0),
            props=(Prop("chair_ahead", "near_hand"),),
        ),
    ),
    "wall_sit": (
        Pose(base="standing", near=flat_standing(5, 5), props=(Prop("wall", "hip", -7),)),
        Pose(base="standing", near=flat_standing(50, 50), props=(Prop("wall", "hip", -7),)),
    ),
    "step_up": (
        _step_up_start,
        Pose(
            base="standing",
            near=Leg(),
            far=Leg(hip=-10, knee=50, ankle=-20),
            rest=("near_toe", STEP),
            props=(Prop("step", "near_toe"),),
        ),
    ),
    "lateral_step_down": (
        Pose(
            base="standing",
            near=Leg(),
            far=Leg(hip=15, ankle=-10),
            rest=("near_toe", STEP),
            props=(Prop("step", "near_toe", 24),),
        ),
        Pose(
            base="standing",
            trunk=15,
            near=flat_standing(50, 55, 15),
            far=Leg(hip=35, ankle=5),
            rest=("near_toe", STEP),
            props=(Prop("step", "near_toe", 24),),
        ),
    ),
    "leg_press": (
        on_chair(
            trunk=-30, near=Leg(hip=100, knee=95, ankle=10), props=(Prop("plate", "near_toe"),)
        ),
        on_chair(
            trunk=-30, near=Leg(hip=45, knee=10, ankle=-5), props=(Prop("plate", "near_toe"),)
        ),
    ),
    "split_squat": (
        Pose(base="standing", near=flat_standing(25, 5), far=Leg(hip=-20, ankle=15)),
        Pose(base="standing", near=flat_standing(80, 90), far=Leg(hip=-10, knee=90, ankle=20)),
    ),
    # ------------------------------------------------------------------ calf
    "ankle_pumps": (
        Pose(base="lying_back", near=Leg(ankle=-35)),
        Pose(base="lying_back", near=Leg(ankle=20)),
    ),
    "gastrocnemius_stretch": (
        _wall(trunk=5, near=flat_standing(-10, 0, 5), far=flat_standing(25, 15, 5)),
        _wall(trunk=15, near=flat_standing(-15, 0, 15), far=flat_standing(55, 50, 15)),
    ),
    "soleus_stretch": (
        _wall(trunk=5, near=flat_standing(-10, 0, 5), far=flat_standing(25, 15, 5)),
        _wall(trunk=5, near=flat_standing(0, 25, 5), far=flat_standing(40, 40, 5)),
    ),
    "calf_isometric": (_wall(), _wall(near=Leg(ankle=-20))),
    "double_leg_heel_raise": (_wall(), _wall(near=Leg(ankle=-35))),
    "single_leg_heel_raise": (
        _wall(far=Leg(knee=70, ankle=-20)),
        _wall(near=Leg(ankle=-35), far=Leg(knee=70, ankle=-20)),
    ),
    "bent_knee_heel_raise": (
        _wall(near=flat_standing(15, 25)),
        _wall(near=Leg(hip=15, knee=25, ankle=-25)),
    ),
    "eccentric_heel_drop": (
        Pose(
            base="standing",
            near=Leg(ankle=-30),
            rest=("near_toe", LOW_STEP),
            props=(Prop("step", "near_toe", 3),),
        ),
        Pose(
            base="standing",
            near=Leg(ankle=25),
            far=Leg(knee=70, ankle=-20),
            rest=("near_toe", LOW_STEP),
            props=(Prop("step", "near_toe", 3),),
        ),
    ),
    "pogo_hops": (
        Pose(base="standing", near=Leg(hip=5, knee=8, ankle=-5), near_arm=Arm(15, 30)),
        Pose(
            base="standing",
            near=Leg(ankle=-35),
            near_arm=Arm(15, 30),
            rest=("near_toe", 10),
        ),
    ),
    # ------------------------------------------------------------------ popliteus, rotation
    "popliteus_isometric": (
        on_chair(near=SEATED, near_arm=HANDS_ON_THIGHS),
        on_chair(near=flat_standing(90, 90, turn_in=25), far=SEATED, near_arm=HANDS_ON_THIGHS),
    ),
    "tibial_internal_rotation_band": (
        on_chair(near=SEATED, near_arm=HANDS_ON_THIGHS, props=(Prop("band_loop", "near_toe", 30),)),
        on_chair(
            near=flat_standing(90, 90, turn_in=25),
            far=SEATED,
            near_arm=HANDS_ON_THIGHS,
            props=(Prop("band_loop", "near_toe", 30),),
        ),
    ),
    # ------------------------------------------------------------------ hip
    "single_leg_squat": (
        Pose(
            base="standing",
            near=Leg(),
            far=Leg(hip=10, knee=60, ankle=-20),
            near_arm=Arm(45, 15),
            props=(Prop("chair_ahead", "near_hand"),),
        ),
        Pose(
            base="standing",
            trunk=30,
            near=flat_standing(70, 60, 30),
            far=Leg(hip=30, knee=60, ankle=-20),
            near_arm=Arm(45, 15),
            props=(Prop("chair_ahead", "near_hand"),),
        ),
    ),
    "clamshell": (
        Pose(base="lying_side", near=Leg(hip=45, knee=90), near_arm=SIDE_ARM, far_arm=PILLOW_ARM),
        Pose(
            base="lying_side",
            near=Leg(hip=45, knee=90, open=35),
            far=Leg(hip=45, knee=90),
            near_arm=SIDE_ARM,
            far_arm=PILLOW_ARM,
        ),
    ),
    "side_lying_hip_abduction": (
        Pose(
            base="lying_side",
            near=Leg(),
            far=Leg(hip=30, knee=60),
            near_arm=SIDE_ARM,
            far_arm=PILLOW_ARM,
        ),
        Pose(
            base="lying_side",
            near=Leg(abduction=35),
            far=Leg(hip=30, knee=60),
            near_arm=SIDE_ARM,
            far_arm=PILLOW_ARM,
        ),
    ),
    "lateral_band_walk": (
        Pose(
            base="standing_front",
            near=Leg(hip=15, knee=20, ankle=5, abduction=5),
            props=(Prop("band_between", "near_ankle"),),
        ),
        Pose(
            base="standing_front",
            near=Leg(hip=15, knee=20, ankle=5, abduction=25),
            far=Leg(hip=15, knee=20, ankle=5, abduction=5),
            props=(Prop("band_between", "near_ankle"),),
        ),
    ),
    "prone_hip_extension": (
        Pose(base="lying_front", near_arm=PRONE_ARMS),
        Pose(base="lying_front", near=Leg(hip=-15), far=Leg(), near_arm=PRONE_ARMS),
    ),
    # ------------------------------------------------------------------ motion
    "heel_slide": (
        Pose(base="lying_back", props=(Prop("towel", "near_heel"),)),
        Pose(
            base="lying_back",
            near=Leg(hip=60, knee=100, ankle=-40),
            far=Leg(),
            props=(Prop("towel", "near_heel"),),
        ),
    ),
    "prone_hang": (
        Pose(
            base="lying_front",
            near=Leg(knee=10, ankle=-30),
            near_arm=PRONE_ARMS,
            rest=("hip", 30),
            props=(Prop("bench", "near_mid_thigh"),),
        ),
        Pose(
            base="lying_front",
            near=Leg(ankle=-30),
            near_arm=PRONE_ARMS,
            rest=("hip", 30),
            props=(Prop("bench", "near_mid_thigh"),),
        ),
    ),
    "heel_prop": (
        Pose(
            base="lying_back",
            near=Leg(hip=12, knee=10),
            far=Leg(),
            props=(Prop("towel", "near_heel"),),
        ),
        Pose(
            base="lying_back",
            near=Leg(hip=8, knee=0),
            far=Leg(),
            props=(Prop("towel", "near_heel"),),
        ),
    ),
    # ------------------------------------------------------------------ nerve, back
    "sciatic_nerve_slider": (
        on_chair(near=SEATED, neck=30, near_arm=HANDS_ON_THIGHS),
        on_chair(near=Leg(hip=90, knee=10), far=SEATED, neck=-40, near_arm=HANDS_ON_THIGHS),
    ),
    "sciatic_nerve_tensioner": (
        on_chair(trunk=25, near=flat_standing(115, 90, 25), neck=40, near_arm=Arm(40, 40)),
        on_chair(
            trunk=25,
            near=Leg(hip=115, knee=15, ankle=20),
            far=flat_standing(115, 90, 25),
            neck=45,
            near_arm=Arm(40, 40),
        ),
    ),
    "prone_press_up": (
        Pose(base="lying_front", near_arm=Arm(-40, 120)),
        Pose(base="lying_front", trunk=35, near=Leg(hip=-30), near_arm=Arm(55, 0)),
    ),
    # ------------------------------------------------------------------ balance
    "single_leg_stance": (
        Pose(base="standing", near_arm=Arm(45, 15), props=(Prop("chair_ahead", "near_hand"),)),
        Pose(
            base="standing",
            near=flat_standing(5, 8),
            far=Leg(hip=20, knee=70, ankle=-20),
            near_arm=Arm(45, 15),
            props=(Prop("chair_ahead", "near_hand"),),
        ),
    ),
    "single_leg_stance_pad": (
        Pose(base="standing", rest=("near_toe", 6.5), props=(Prop("pad", "near_ankle"),)),
        Pose(
            base="standing",
            near=flat_standing(5, 8),
            far=Leg(hip=20, knee=70, ankle=-20),
            near_arm=Arm(20, 20),
            rest=("near_toe", 6.5),
            props=(Prop("pad", "near_ankle"),),
        ),
    ),
    "star_excursion_reach": (
        Pose(base="standing", near=flat_standing(10, 10), far=Leg(hip=10, knee=15, ankle=-10)),
        Pose(
            base="standing",
            trunk=15,
            near=flat_standing(55, 50, 15),
            far=Leg(hip=70, knee=0, ankle=-10),
            near_arm=Arm(30, 30),
        ),
    ),
    # ------------------------------------------------------------------ cardio
    "stationary_bike": (
        on_bike(0, near_ankle=5, far_ankle=-15),
        on_bike(180, near_ankle=-15, far_ankle=5),
    ),
    "pool_running": (
        Pose(
            base="standing",
            trunk=10,
            near=Leg(hip=70, knee=90, ankle=-20),
            far=Leg(hip=-15, knee=40, ankle=-20),
            near_arm=Arm(-30, 90),
            far_arm=Arm(45, 90),
            rest=("hip", 45),
            props=(Prop("water", "shoulder"),),
        ),
        Pose(
            base="standing",
            trunk=10,
            near=Leg(hip=-15, knee=40, ankle=-20),
            far=Leg(hip=70, knee=90, ankle=-20),
            near_arm=Arm(45, 90),
            far_arm=Arm(-30, 90),
            rest=("hip", 45),
            props=(Prop("water", "shoulder"),),
        ),
    ),
    "brisk_walking": (
        Pose(
            base="standing",
            near=Leg(hip=25, ankle=5),
            far=Leg(hip=-15, knee=10, ankle=-10),
            near_arm=Arm(-25, 30),
            far_arm=Arm(25, 30),
        ),
        Pose(
            base="standing",
            near=Leg(hip=-15, knee=10, ankle=-10),
            far=Leg(hip=25, ankle=5),
            near_arm=Arm(25, 30),
            far_arm=Arm(-25, 30),
        ),
    ),
    # ------------------------------------------------------------------ soft tissue, calm
    "foam_roll_hamstring": (
        Pose(
            base="floor_sitting",
            trunk=-30,
            near=Leg(hip=60),
            far=Leg(hip=100, knee=95, ankle=-20),
            near_arm=LEANING_BACK_ARMS,
            rest=("near_mid_thigh", 15),
            props=(Prop("roller", "near_mid_thigh"),),
        ),
        Pose(
            base="floor_sitting",
            trunk=-30,
            near=Leg(hip=60),
            far=Leg(hip=100, knee=95, ankle=-20),
            near_arm=LEANING_BACK_ARMS,
            rest=("near_knee", 15),
            props=(Prop("roller", "near_knee"),),
        ),
    ),
    "foam_roll_calf": (
        Pose(
            base="floor_sitting",
            trunk=-30,
            near=Leg(hip=60),
            far=Leg(hip=100, knee=95, ankle=-20),
            near_arm=LEANING_BACK_ARMS,
            rest=("near_mid_shin", 15),
            props=(Prop("roller", "near_mid_shin"),),
        ),
        Pose(
            base="floor_sitting",
            trunk=-30,
            near=Leg(hip=60),
            far=Leg(hip=100, knee=95, ankle=-20),
            near_arm=LEANING_BACK_ARMS,
            rest=("near_upper_shin", 15),
            props=(Prop("roller", "near_upper_shin"),),
        ),
    ),
    "massage_ball_calf": (
        Pose(
            base="floor_sitting",
            trunk=-20,
            near=Leg(hip=70),
            far=Leg(hip=100, knee=95, ankle=-10),
            near_arm=LEANING_BACK_ARMS,
            props=(Prop("ball", "near_mid_shin"),),
        ),
        Pose(
            base="floor_sitting",
            trunk=-20,
            near=Leg(hip=70),
            far=Leg(hip=100, knee=95, ankle=-10),
            near_arm=LEANING_BACK_ARMS,
            props=(Prop("ball", "near_upper_shin"),),
        ),
    ),
    "ice_pack": (
        Pose(
            base="lying_back",
            near=Leg(hip=20, knee=10),
            far=Leg(),
            props=(Prop("pad", "near_mid_shin"),),
        ),
        Pose(
            base="lying_back",
            near=Leg(hip=20, knee=10),
            far=Leg(),
            props=(Prop("pad", "near_mid_shin"), Prop("ice", "near_knee")),
        ),
    ),
}


def alt_words(exercise_id: str) -> tuple[str, str]:
    """What the start and end drawings show that a side view hides ("the foot turned in"), for
    their text alternatives: a screen reader hears the image's alt text, not the SVG's title."""
    pair = POSES.get(exercise_id)
    if pair is None:
        return "", ""
    start, end = pair
    return figures.movement_words(start), figures.movement_words(end)
